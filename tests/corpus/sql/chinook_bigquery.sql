-- Source: https://github.com/lerocha/chinook-database/blob/83d56954c659801a0fe4615de04a63fa5ea91fba/ChinookDatabase/DataSources/Chinook_BigQuery.sql
-- Licence: MIT (Chinook Database, Copyright (c) 2008-2024 Luis Rocha). DDL verbatim; the INSERT data
-- after the first table is left out (marked below).

/*******************************************************************************
   Chinook Database - Version 1.4.5
   Script: chinook_BigQuery.sql
   Description: Creates and populates the Chinook database.
   DB Server: BigQuery
   Author: Thibault SCHMIT
   License: https://github.com/lerocha/chinook-database/blob/master/LICENSE.md
********************************************************************************/

/*******************************************************************************
  This file is an adapatation of the Chinook 
  Script for Google BigQuery DataWarehouse.
  Please, don't forget to adapt the location (US, EU ...) of your schema.
********************************************************************************/

/*******************************************************************************
   Drop dataset if it exists
********************************************************************************/
DROP SCHEMA `chinook`

/*******************************************************************************
   Create dataset
********************************************************************************/
CREATE SCHEMA `chinook`

  OPTIONS (
    description = 'Chinook database',
    location = 'US');

/*******************************************************************************
   Create Tables
********************************************************************************/
CREATE TABLE `chinook`.`Album`
(
    `AlbumId` INT NOT NULL,
    `Title` STRING(160) NOT NULL,
    `ArtistId` INT NOT NULL,
    PRIMARY KEY (`AlbumId`) NOT ENFORCED
)
CLUSTER BY `ArtistId`;

CREATE TABLE `chinook`.`Artist`
(
    `ArtistId` INT NOT NULL,
    `Name` STRING(120),
    PRIMARY KEY  (`ArtistId`) NOT ENFORCED
);

CREATE TABLE `chinook`.`Customer`
(
    `CustomerId` INT NOT NULL,
    `FirstName` STRING(40) NOT NULL,
    `LastName` STRING(20) NOT NULL,
    `Company` STRING(80),
    `Address` STRING(70),
    `City` STRING(40),
    `State` STRING(40),
    `Country` STRING(40),
    `PostalCode` STRING(10),
    `Phone` STRING(24),
    `Fax` STRING(24),
    `Email` STRING(60) NOT NULL,
    `SupportRepId` INT,
    PRIMARY KEY  (`CustomerId`) NOT ENFORCED
)
CLUSTER BY `SupportRepId`;

CREATE TABLE `chinook`.`Employee`
(
    `EmployeeId` INT NOT NULL,
    `LastName` STRING(20) NOT NULL,
    `FirstName` STRING(20) NOT NULL,
    `Title` STRING(30),
    `ReportsTo` INT,
    `BirthDate` DATETIME,
    `HireDate` DATETIME,
    `Address` STRING(70),
    `City` STRING(40),
    `State` STRING(40),
    `Country` STRING(40),
    `PostalCode` STRING(10),
    `Phone` STRING(24),
    `Fax` STRING(24),
    `Email` STRING(60),
    PRIMARY KEY  (`EmployeeId`) NOT ENFORCED
)
CLUSTER BY `ReportsTo`;

CREATE TABLE `chinook`.`Genre`
(
    `GenreId` INT NOT NULL,
    `Name` STRING(120),
    PRIMARY KEY  (`GenreId`) NOT ENFORCED
);

CREATE TABLE `chinook`.`Invoice`
(
    `InvoiceId` INT NOT NULL,
    `CustomerId` INT NOT NULL,
    `InvoiceDate` DATETIME NOT NULL,
    `BillingAddress` STRING(70),
    `BillingCity` STRING(40),
    `BillingState` STRING(40),
    `BillingCountry` STRING(40),
    `BillingPostalCode` STRING(10),
    `Total` NUMERIC(10,2) NOT NULL,
     PRIMARY KEY  (`InvoiceId`) NOT ENFORCED
)
CLUSTER BY `CustomerId`;

CREATE TABLE `chinook`.`InvoiceLine`
(
    `InvoiceLineId` INT NOT NULL,
    `InvoiceId` INT NOT NULL,
    `TrackId` INT NOT NULL,
    `UnitPrice` NUMERIC(10,2) NOT NULL,
    `Quantity` INT NOT NULL,
    PRIMARY KEY  (`InvoiceLineId`) NOT ENFORCED
)
CLUSTER BY `InvoiceId`,`TrackId`;

CREATE TABLE `chinook`.`MediaType`
(
    `MediaTypeId` INT NOT NULL,
    `Name` STRING(120),
     PRIMARY KEY  (`MediaTypeId`) NOT ENFORCED
);

CREATE TABLE `chinook`.`Playlist`
(
    `PlaylistId` INT NOT NULL,
    `Name` STRING(120),
    PRIMARY KEY  (`PlaylistId`) NOT ENFORCED
);

CREATE TABLE `chinook`.`PlaylistTrack`
(
    `PlaylistId` INT NOT NULL,
    `TrackId` INT NOT NULL,
    PRIMARY KEY  (`PlaylistId`, `TrackId`) NOT ENFORCED
)
CLUSTER BY `PlaylistId`,`TrackId`;

CREATE TABLE `chinook`.`Track`
(
    `TrackId` INT NOT NULL,
    `Name` STRING(200) NOT NULL,
    `AlbumId` INT,
    `MediaTypeId` INT NOT NULL,
    `GenreId` INT,
    `Composer` STRING(220),
    `Milliseconds` INT NOT NULL,
    `Bytes` INT,
    `UnitPrice` NUMERIC(10,2) NOT NULL,
    PRIMARY KEY  (`TrackId`) NOT ENFORCED
)
CLUSTER BY `AlbumId`,`GenreId`,`MediaTypeId`;



/*******************************************************************************
   Create Primary Key Unique Indexes
********************************************************************************/

/*******************************************************************************
   Create Foreign Keys
********************************************************************************/
ALTER TABLE `chinook`.`Album`
 ADD FOREIGN KEY (`ArtistId`) REFERENCES `chinook`.`Artist`(`ArtistId`) NOT ENFORCED;



ALTER TABLE `chinook`.`Customer` 
ADD FOREIGN KEY (`SupportRepId`) REFERENCES `chinook`.`Employee` (`EmployeeId`) NOT ENFORCED;


-- Since Foreign key constraints cannot reference the table itself we must create a clone 
CREATE OR REPLACE TABLE `chinook`.`ReportsFromEmployee`  CLONE  `chinook`.`Employee`;

ALTER TABLE `chinook`.`Employee` 
ADD FOREIGN KEY (`ReportsTo`) REFERENCES `chinook`.`ReportsFromEmployee` (`EmployeeId`) NOT ENFORCED;



ALTER TABLE `chinook`.`Invoice`
 ADD FOREIGN KEY (`CustomerId`) REFERENCES `chinook`.`Customer` (`CustomerId`) NOT ENFORCED;



ALTER TABLE `chinook`.`InvoiceLine`
 ADD FOREIGN KEY (`InvoiceId`) REFERENCES `chinook`.`Invoice` (`InvoiceId`) NOT ENFORCED;



ALTER TABLE `chinook`.`InvoiceLine` 
ADD FOREIGN KEY (`TrackId`) REFERENCES `chinook`.`Track` (`TrackId`) NOT ENFORCED;



ALTER TABLE `chinook`.`PlaylistTrack` 
ADD FOREIGN KEY (`PlaylistId`) REFERENCES `chinook`.`Playlist` (`PlaylistId`) NOT ENFORCED;



ALTER TABLE `chinook`.`PlaylistTrack` 
ADD FOREIGN KEY (`TrackId`) REFERENCES `chinook`.`Track` (`TrackId`) NOT ENFORCED;



ALTER TABLE `chinook`.`Track` 
ADD FOREIGN KEY (`AlbumId`) REFERENCES `chinook`.`Album` (`AlbumId`) NOT ENFORCED;



ALTER TABLE `chinook`.`Track` 
ADD FOREIGN KEY (`GenreId`) REFERENCES `chinook`.`Genre` (`GenreId`) NOT ENFORCED;



ALTER TABLE `chinook`.`Track` 
ADD FOREIGN KEY (`MediaTypeId`) REFERENCES `chinook`.`MediaType` (`MediaTypeId`) NOT ENFORCED;




/*******************************************************************************
   Populate Tables
********************************************************************************/

INSERT INTO `chinook`.`Genre` (`GenreId`, `Name`) VALUES
    (1, 'Rock'),
    (2, 'Jazz'),
    (3, 'Metal'),
    (4, 'Alternative '||chr(38)||' Punk'),
    (5, 'Rock And Roll'),
    (6, 'Blues'),
    (7, 'Latin'),
    (8, 'Reggae'),
    (9, 'Pop'),
    (10, 'Soundtrack'),
    (11, 'Bossa Nova'),
    (12, 'Easy Listening'),
    (13, 'Heavy Metal'),
    (14, 'R'||chr(38)||'B/Soul'),
    (15, 'Electronica/Dance'),
    (16, 'World'),
    (17, 'Hip Hop/Rap'),
    (18, 'Science Fiction'),
    (19, 'TV Shows'),
    (20, 'Sci Fi '||chr(38)||' Fantasy'),
    (21, 'Drama'),
    (22, 'Comedy'),
    (23, 'Alternative'),
    (24, 'Classical'),
    (25, 'Opera');

-- (corpus: the remaining INSERT data of the published file is left out here)
